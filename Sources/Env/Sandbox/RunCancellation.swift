import CSpawn
import Foundation
import Synchronization

/// Lets another task stop a process in flight: `cancel()` wakes the supervising thread through a pipe.
public final class RunCancellation: Sendable {
    private let state = Mutex(false)
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    /// Throws INTERNAL when no pipe can be made (the server is out of file descriptors): a failed step, never a crash.
    public init() throws {
        var fds: [Int32] = [-1, -1]
        let result = fds.withUnsafeMutableBufferPointer { cspawn_pipe($0.baseAddress) }
        guard result == 0 else { throw EnvError(.internal, "cannot make a pipe to cancel the run: errno \(result)") }
        readDescriptor = fds[0]
        writeDescriptor = fds[1]
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    public var isCancelled: Bool { state.withLock { $0 } }

    /// Requests cancellation; returns false if it was already requested.
    @discardableResult
    public func cancel() -> Bool {
        let first = state.withLock { cancelled in
            defer { cancelled = true }
            return !cancelled
        }
        if first {
            var byte: UInt8 = 1
            _ = write(writeDescriptor, &byte, 1)
        }
        return first
    }
}
