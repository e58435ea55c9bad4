#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli/command.h"
#include "rnnkit/communicator.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"

namespace rnnkit::cli {

std::vector<Command>& command_registry() {
  static std::vector<Command> commands;
  return commands;
}

}  // namespace rnnkit::cli

namespace {

// In data-parallel training the whole job stops (end_job_after_error).
int fail(const std::string& message) {
  std::fflush(stdout);
  rnnkit::end_job_after_error(message);
  std::cerr << "error: " << message << "\n";
  return 1;
}

// CLI11 reads an empty value as 0 for a number option (`-n ""` generated nothing, `--temp ""`
// was greedy): every number option of every command refuses it instead.
void refuse_empty_numbers(CLI::App& app) {
  const CLI::Validator not_empty(
      [](std::string& value) { return value.empty() ? std::string("no number given") : ""; }, "");
  for (CLI::Option* option : app.get_options()) {
    const std::string type = option->get_type_name();
    if (type.find("INT") != std::string::npos || type.find("FLOAT") != std::string::npos)
      option->check(not_empty);
  }
  for (CLI::App* command : app.get_subcommands({})) refuse_empty_numbers(*command);
}

}  // namespace

int main(int argc, char** argv) {
  using rnnkit::cli::command_registry;
  CLI::App app{"rnnkit: recurrent neural networks (RNN, LSTM, GRU) on the CPU"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rnnkit 0.1.0");
  auto& commands = command_registry();
  std::sort(commands.begin(), commands.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (const auto& command : commands)
    command.setup(*app.add_subcommand(command.name, command.description));
  refuse_empty_numbers(app);
  // CLI11 would say only that a command is required.
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(commands.begin(), commands.end(),
                   [&](const auto& command) { return command.name == argv[1]; })) {
    std::string names;
    for (const auto& command : commands) names += (names.empty() ? "" : ", ") + command.name;
    return fail(std::string("unknown command '") + argv[1] + "' (the commands: " + names + ")");
  }
  try {
    rnnkit::cpu_path();  // reads RNNKIT_CPU: a bad value is reported here, not in a kernel
    app.parse(argc, argv);
    // A full disk or device under the output must not end in success with the output cut.
    errno = 0;
    std::cout.flush();
    if (!std::cout || std::fflush(stdout) != 0 || std::ferror(stdout))
      return fail(std::string("cannot write the output: ") +
                  (errno ? std::strerror(errno) : "the stream failed"));
  } catch (const CLI::ExtrasError&) {
    // CLI11's own message lists them last first ("1 --threads" for --threads 1).
    std::string extras;
    for (const std::string& arg : app.remaining(true)) extras += (extras.empty() ? "" : " ") + arg;
    return fail("unexpected arguments: " + extras + " (--help lists the options)");
  } catch (const CLI::ParseError& e) {
    // --help and --version end here too, with success; a wrong option is an error like any other.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    return fail(std::string(e.what()) + " (--help lists the options)");
  } catch (const std::bad_alloc&) {
    return fail("out of memory (try a smaller --batch or model)");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}
