import Evaluation
import ReActAgent
import Testing

@Suite("TaskSet")
struct TaskSetTests {
    let listings = [
        TaskListing(id: "a-tab", source: "mledojo", modality: "tabular"),
        TaskListing(id: "b-text", source: "mledojo", modality: "text"),
        TaskListing(id: "c-dojo", source: "dojo", modality: "tabular"),
        TaskListing(id: "d-raw", ready: false, source: "dojo", modality: "tabular"),
    ]

    func ids(_ text: String, files: [String: String] = [:]) throws -> [String] {
        try TaskSet.parse(text).resolve(listings) { path in
            guard let text = files[path] else { throw TaskSetError.unreadableFile(path: path, reason: "absent") }
            return text
        }.map(\.id)
    }

    @Test func itemsAreUnionedSortedAndDeduplicated() throws {
        #expect(try ids("c-dojo,a-tab,a-tab") == ["a-tab", "c-dojo"])
        #expect(try ids("source:mledojo") == ["a-tab", "b-text"])
        #expect(try ids("modality:tabular") == ["a-tab", "c-dojo"], "unprepared tasks are left out of groups")
        #expect(try ids("all") == ["a-tab", "b-text", "c-dojo"])
        #expect(try ids("modality:text, source:dojo") == ["b-text", "c-dojo"])
        #expect(try ids("@set.txt", files: ["set.txt": "# my set\nb-text\n\nsource:dojo  # the dojo ones\n"]) == ["b-text", "c-dojo"])
    }

    @Test func anItemMatchingNothingIsAnError() {
        #expect(throws: TaskSetError.noSuchTask("zzz")) { try ids("a-tab,zzz") }
        #expect(throws: TaskSetError.notPrepared("d-raw")) { try ids("d-raw") }
        #expect(throws: TaskSetError.matchesNothing("source:smith")) { try ids("source:smith") }
        #expect(throws: TaskSetError.matchesNothing("modality:image")) { try ids("modality:image") }
        #expect(throws: TaskSetError.matchesNothing("@empty.txt")) { try ids("@empty.txt", files: ["empty.txt": "# nothing\n"]) }
        #expect(throws: TaskSetError.nestedFile("outer.txt")) { try ids("@outer.txt", files: ["outer.txt": "@inner.txt"]) }
        #expect(throws: (any Error).self) { try ids("@missing.txt") }
    }

    @Test func malformedListsAreRefused() {
        #expect(throws: TaskSetError.empty) { try TaskSet.parse("") }
        #expect(throws: TaskSetError.emptyItem("a,,b")) { try TaskSet.parse("a,,b") }
        #expect(throws: TaskSetError.emptyItem("source:")) { try TaskSet.parse("source:") }
        #expect(throws: TaskSetError.emptyItem("@")) { try TaskSet.parse("@") }
    }
}
