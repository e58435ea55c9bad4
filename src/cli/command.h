#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace rnnkit::cli {

// A subcommand of `rnnkit`. Each src/cli/<name>_command.cpp registers itself with a static
// Registration, so main.cpp only dispatches and adding a command touches one file.
struct Command {
  std::string name;
  std::string description;
  // Adds the options to the subcommand and sets its callback.
  std::function<void(CLI::App&)> setup;
};

std::vector<Command>& command_registry();

struct Registration {
  explicit Registration(Command command) { command_registry().push_back(std::move(command)); }
};

}  // namespace rnnkit::cli
