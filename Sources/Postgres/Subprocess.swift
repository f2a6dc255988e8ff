import Foundation

/// Runs a command to completion and collects what it printed (stdout and stderr together).
/// Blocking: call it from a thread pool.
///
/// Built on `posix_spawn` and `waitpid` rather than Foundation's `Process`: `pg_ctl start` leaves a
/// server running that inherits the child's descriptors, and `Process` on Linux waits for
/// descriptors that the server then never closes.
struct Subprocess {
    struct Outcome {
        var status: Int32
        var output: String
    }

    static func run(_ executable: String, _ arguments: [String], runAs user: String?) throws -> Outcome {
        // PostgreSQL refuses to run as root: run its programs as the given system user.
        // `env -C /` gives it a working directory the postgres user can enter (ours may be root's
        // private home).
        let command = user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]
        let argv = ["/usr/bin/env", "-C", "/"] + command + arguments
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("model-catalog-\(UUID().uuidString).out").path
        let outputFD = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard outputFD >= 0 else {
            throw PostgresError(.embeddedServer, message: "could not create \(outputPath) (errno \(errno))")
        }
        defer {
            close(outputFD)
            unlink(outputPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 2)

        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw PostgresError(.embeddedServer, message: "could not run \(argv[0]) (error \(spawned))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw PostgresError(.embeddedServer, message: "waiting for \(argv[0]) failed (errno \(errno))")
            }
        }
        let exited = (status & 0x7f) == 0
        let code = exited ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        return Outcome(status: code, output: String(decoding: data, as: UTF8.self))
    }
}
