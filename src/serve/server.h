#pragma once
#include <functional>

#include "rnnkit/language_model_file.h"
#include "serve/serve_options.h"

namespace rnnkit::serve {

// Serves `loaded` over HTTP (docs/API.md) until SIGINT or SIGTERM: then running generations
// stop, waiting requests get 503, and the call returns. on_listening receives the bound port
// (the chosen one for port 0) once requests are accepted. Error when the address cannot be
// bound or the options are invalid.
void serve(LoadedLanguageModel& loaded, const ServeOptions& options,
           const std::function<void(int port)>& on_listening);

}  // namespace rnnkit::serve
