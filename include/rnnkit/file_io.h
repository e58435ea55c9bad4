#pragma once
#include <string>
#include <string_view>

namespace rnnkit {

// Reads a whole file; throws Error "cannot read PATH: <strerror>" on failure.
std::string read_file(const std::string& path);

// Error naming `source` when the lines of `text` end in CR alone (classic Mac OS), which a reader
// of LF or CRLF lines would take for one long line.
void check_line_ends(std::string_view text, const std::string& source);

// Replaces the file at `path` with `bytes` so that a reader (or a crash) sees either the old file
// or the complete new one, never a partial file: the bytes go to a temporary file in the same
// directory, which is synced and then renamed over `path`, and the directory is synced. On failure
// the temporary file is removed, the previous file is left as it was, and an Error naming the path
// and the reason is thrown.
void write_file_atomically(const std::string& path, std::string_view bytes);

// Creates `dir` and its missing parents; Error "cannot create the directory DIR: <reason>" (a
// parent that is a file, no permission) instead of a std::filesystem exception.
void create_directories(const std::string& dir);

}  // namespace rnnkit
