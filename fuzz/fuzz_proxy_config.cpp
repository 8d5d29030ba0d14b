// Fuzzes edgecache-proxy's configuration: the TOML file (loadConfigFile), the
// command line (parseCommandLine) and the value parsers they use
// (parseHostPort, parseOriginUrl, cachelib::parseByteSize).
//
// Input layout: TOML text, optionally followed by a line "#--" and one
// command-line argument per line. loadConfigFile takes only a path, so the
// TOML goes through a scratch file; the command line always gets
// "--config <that file>" (arguments naming another config file are dropped,
// so no input can make the harness read an arbitrary path such as a FIFO).
//
// Checks besides the sanitizers: a failed load has a one-line message that
// names the file and stays short (at most 300 bytes besides the path: quoted
// keys and values are cut), and so do the value parsers' errors.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cachelib/byte_size.h"
#include "fuzz/fuzz_support.h"
#include "proxy/proxy_config.h"

using namespace edgecache;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view toml = input;
  std::string_view args;
  if (const auto sep = input.find("\n#--\n"); sep != std::string_view::npos) {
    toml = input.substr(0, sep);
    args = input.substr(sep + 5);
  }
  const std::string path = fuzz::writeScratchFile("config.toml", toml);

  auto loaded = proxy::loadConfigFile(path, proxy::ProxyConfig{});
  if (!loaded) {
    fuzz::require(loaded.message().find('\n') == std::string::npos, "error message is not one line", loaded.message());
    fuzz::require(loaded.message().find(path) != std::string::npos, "error message does not name the file", loaded.message());
    fuzz::require(loaded.message().size() <= path.size() + 300, "error message is too long",
                  loaded.message().substr(0, 200));
  } else {
    (void)proxy::controllerSpec(loaded.value());
  }

  std::vector<std::string> argvStrings = {"edgecache-proxy", "--config", path};
  while (!args.empty() && argvStrings.size() < 24) {
    const auto nl = args.find('\n');
    std::string arg(args.substr(0, nl));
    args.remove_prefix(nl == std::string_view::npos ? args.size() : nl + 1);
    for (const auto& message : {proxy::parseHostPort(arg).message(), proxy::parseOriginUrl(arg).message(),
                                cachelib::parseByteSize(arg).message()}) {
      fuzz::require(message.size() <= 300, "value parser error is too long", message.substr(0, 200));
    }
    // No other config file: the harness must not read arbitrary paths.
    if (arg.find("config") != std::string::npos) continue;
    argvStrings.push_back(std::move(arg));
  }
  std::vector<char*> argv;
  for (auto& s : argvStrings) argv.push_back(s.data());
  argv.push_back(nullptr);
  (void)proxy::parseCommandLine(static_cast<int>(argvStrings.size()), argv.data());
  return 0;
}
