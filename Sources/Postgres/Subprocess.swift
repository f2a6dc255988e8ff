import Foundation

/// Runs a command to completion and collects what it printed (stdout and stderr together).
/// Blocking: call it from a thread pool.
///
/// Built on `posix_spawn` and `waitpid` rather than Foundation's `Process`: `pg_ctl start` leaves a
/// server running that inherits the child's descriptors, and `Process` on Linux waits for
/// descriptors that the server then never closes. The same holds for any other child started
/// meanwhile (a test's `pg_basebackup` beside another test's `pg_ctl start`): its pipe's end
/// reaches the server too. Public for the test support's programs.
public struct Subprocess {
    /// How a command ended: its exit status (128 + the signal when killed) and what it printed.
    public struct Outcome: Sendable {
        public var status: Int32
        public var output: String
    }

    public static func run(_ executable: String, _ arguments: [String], runAs user: String?) throws -> Outcome {
        // PostgreSQL refuses to run as root: run its programs as the given system user.
        // `env -C /` gives it a working directory the postgres user can enter (ours may be root's
        // private home).
        let command = user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]
        let argv = ["/usr/bin/env", "-C", "/"] + command + arguments
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("postgres-subprocess-\(UUID().uuidString).out").path
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

        // The child starts with default signal handling (the service ignores SIGTERM and SIGINT to
        // handle them itself, and an ignored signal stays ignored across exec) and in a process
        // group of its own, so that Ctrl-C at a terminal reaches the service, which stops its
        // children in order, and not initdb half-way through.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
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
