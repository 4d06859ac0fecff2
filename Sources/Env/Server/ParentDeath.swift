import CSpawn
import Foundation

/// `serve --exit-with-parent`: the server ends when the process that started it does, so a supervisor
/// (a Ray actor, a job script) that dies never leaves an orphan server holding its port and database.
public enum ParentDeath {
    /// Asks the kernel for `signal` when the parent ends; false when the parent is gone already (the
    /// caller should stop at once) or the kernel refused.
    public static func deliver(_ signal: Int32 = SIGTERM) -> Bool {
        let parent = getppid()
        guard cspawn_signal_on_parent_death(signal) == 0 else { return false }
        return getppid() == parent  // it may have ended before the request took effect
    }
}
