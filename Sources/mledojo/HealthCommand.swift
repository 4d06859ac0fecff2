import ArgumentParser
import Env
import Foundation
import ZeroMQ

/// `mledojo health`: asks a running server's `health` from a shell, for readiness probes and scripts.
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Ask a running server whether it is serving, and its load.",
        discussion: """
            Sends one `health` request (protocol.md, section 4.1) and prints a line: the server's instance, pid, \
            tasks, open sessions, runs in flight and queued, against its capacity; with --json, the result object \
            itself. Exit status: 0 on an ok reply within --timeout, 1 when none came in time or the reply was an \
            error — what a Kubernetes readiness probe or a supervisor script needs.
            """)

    @Option(help: "The server's endpoint (tcp://HOST:PORT or ipc://PATH), or its admin endpoint.") var endpoint: String
    @Option(help: "Seconds to wait for the reply.") var timeout = 5.0
    @Flag(help: "Print the health result as JSON.") var json = false

    func validate() throws {
        guard timeout.isFinite, timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be above 0 and at most 3600 s") }
    }

    func run() throws {
        let context = ZMQContext()
        let reply: JSONValue
        do {
            let client = try BlockingClient(context: context, endpoint: endpoint, timeoutMilliseconds: Int(timeout * 1000))
            defer { client.close() }
            reply = try client.reply(.health)
        } catch {
            Console.error("mledojo health: \(endpoint): \(error)")
            throw ExitCode(1)
        }
        guard reply["ok"] == true, let result = reply["result"], result["status"] == "ok" else {
            Console.error("mledojo health: \(endpoint): \(reply["error"]?["message"]?.stringValue ?? "not ok: \(reply.encodedString())")")
            throw ExitCode(1)
        }
        if json {
            Console.line(result.encodedString())
            return
        }
        func number(_ value: JSONValue?) -> String { value?.integerValue.map(String.init) ?? "?" }
        Console.line("ok: instance \(result["instance"]?.stringValue ?? "?") pid \(number(result["pid"])), "
            + "\(number(result["tasks"])) tasks, \(number(result["load"]?["sessions"])) sessions open, "
            + "runs \(number(result["load"]?["runs_in_flight"]))/\(number(result["capacity"]?["max_concurrent_runs"])) in flight, "
            + "\(number(result["load"]?["runs_queued"]))/\(number(result["capacity"]?["max_queued_runs"])) queued")
    }
}
