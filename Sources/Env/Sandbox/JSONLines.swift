import Foundation

/// One JSON object per line over a pipe: how the server talks to its Python workers (the grader and
/// each session's sandbox worker).
enum JSONLines {
    /// Writes `message` and a newline, retrying short writes; false when the pipe is closed.
    static func write(_ message: JSONValue, to descriptor: Int32) -> Bool {
        var line = message.encoded()
        line.append(0x0A)
        return line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
    }

    /// Reads lines until end of file, handing each one that parses as JSON to `deliver` (blocking: run
    /// it on a thread of its own). The descriptor is left open.
    static func read(from descriptor: Int32, deliver: (JSONValue) -> Void) {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            buffer.append(contentsOf: chunk[0..<count])
            var start = buffer.startIndex
            while let newline = buffer[start...].firstIndex(of: 0x0A) {
                if let value = try? JSONValue.decode(Data(buffer[start..<newline])) { deliver(value) }
                start = newline + 1
            }
            buffer = Data(buffer[start...])
        }
    }
}
