#pragma once
#include <string>
#include <string_view>

// The two ways write_file_atomically (rnnkit/file_io.h) writes `bytes` over `path` (the target
// of `given`, the name its Errors use); declared here so that the tests reach the fallback on a
// filesystem where the first way works.
namespace rnnkit::atomic_write {

// Through an unnamed file in the directory (O_TMPFILE), which gets a temporary name only once
// complete and synced, just before the rename: a process killed while it writes (SIGKILL, Ctrl-C
// outside training) leaves no file behind. False, having written nothing, where the directory's
// filesystem has no unnamed files or /proc is not mounted.
bool through_unnamed_file(const std::string& path, const std::string& given,
                          std::string_view bytes);

// Through a named temporary file beside `path` (".NAME.tmp-PID-N"), removed on failure.
void through_named_file(const std::string& path, const std::string& given, std::string_view bytes);

}  // namespace rnnkit::atomic_write
