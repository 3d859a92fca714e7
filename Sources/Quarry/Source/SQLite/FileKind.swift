import Foundation

/// What is at a path, symbolic links followed: a file named by a user is
/// read only when it is a regular file (a FIFO would block a read for
/// ever, a device never end).
package enum FileKind {
    case missing, regular, other

    package init(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            self = .missing
            return
        }
        self = info.st_mode & S_IFMT == S_IFREG ? .regular : .other
    }
}
