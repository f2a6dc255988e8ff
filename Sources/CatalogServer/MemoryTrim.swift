#if canImport(Glibc)
import Glibc
#endif

/// Gives memory the allocator holds but no longer uses back to the system (glibc's
/// `malloc_trim`), after work that frees a lot at once: a snapshot load at 1,000,000 deployments
/// frees its rows and parse trees on several threads, whose arenas would otherwise keep them.
enum MemoryTrim {
    /// glibc's `malloc_trim`, found at run time: Swift's Glibc module does not import `malloc.h`.
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        #if canImport(Glibc)
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
        #else
        return nil
        #endif
    }()

    static func now() {
        _ = trim?(0)
    }
}
