#pragma once
// Shared helpers of the fuzz harnesses (fuzz/README.md).
//
// Some entry points only take a path (trace readers, the TOML config file);
// the harnesses write each input to a file in one private scratch directory,
// created once per process under $TMPDIR (or /dev/shm when present, to stay
// off the disk) and removed at exit. Not thread safe: libFuzzer runs one
// input at a time in a process.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace edgecache::fuzz {

// A harness's own property check: prints "property violated: <what> [<detail>]"
// and aborts, which libFuzzer reports as a crash with the input saved.
void require(bool ok, std::string_view what, std::string_view detail = {});

// Writes `bytes` to `<scratch dir>/<name>` (truncating) and returns the path.
// Aborts (a harness bug, not a finding) if the file cannot be written.
std::string writeScratchFile(std::string_view name, std::string_view bytes);

}  // namespace edgecache::fuzz
