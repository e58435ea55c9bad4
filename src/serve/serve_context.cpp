#include "serve/serve_context.h"

#include <string>

#include "rnnkit/formatted.h"
#include "rnnkit/gemm.h"
#include "serve/bounded_server.h"
#include "serve/http_error.h"

namespace rnnkit::serve {

ModelPool::Lease ServeContext::lease_worker() {
  std::optional<ModelPool::Lease> lease = pool.acquire();
  if (!lease) {
    if (pool.closed()) throw shutting_down();
    const ModelPool::Load load = pool.load();
    throw HttpError(503,
                    (load.workers == 1 ? std::string("the worker is")
                                       : "all " + std::to_string(load.workers) + " workers are") +
                        " busy and " + counted(load.waiting, "request waits", "requests wait") +
                        " already (--queue " + std::to_string(load.queue) + "); try again later");
  }
  if (options.threads > 0) set_num_threads(options.threads);
  return std::move(*lease);
}

std::function<bool()> ServeContext::answer_wanted() {
  const ConnectionStream* connection = BoundedServer::current_connection();
  return
      [this, connection] { return !stopping.load() && !(connection && connection->client_gone()); };
}

PieceCallback ServeContext::while_answer_wanted() {
  return [wanted = answer_wanted()](std::string_view) { return wanted(); };
}

}  // namespace rnnkit::serve
