#include <httplib.h>

#include <memory>

#include "serve/endpoints.h"
#include "serve/event_stream.h"
#include "serve/request_parsing.h"

namespace rnnkit::serve {
namespace {

nlohmann::json summary(const GenerateResult& result, const GenerateRequest& request) {
  return {{"prompt", result.prompt},
          {"text", result.text},
          {"tokens", result.tokens},
          {"seconds", result.seconds},
          {"tokens_per_second",
           result.seconds > 0 ? static_cast<double>(result.tokens) / result.seconds : 0.0},
          {"finish_reason", finish_reason_name(result.finish_reason)},
          {"seed", request.sampling.seed}};
}

}  // namespace

void handle_generate(ServeContext& context, const httplib::Request& http,
                     httplib::Response& response) {
  const GenerateCall call = parse_generate(http.body, context.options.limits);
  auto lease = std::make_shared<ModelPool::Lease>(context.lease_worker());
  if (!call.stream) {
    const GenerateResult result =
        generate_text(lease->model(), context.vocab, call.request,
                      [&](std::string_view) { return !context.stopping.load(); });
    response.set_content(summary(result, call.request).dump() + "\n", "application/json");
    return;
  }
  // With echo on, the first piece is the prompt, so the check ends before the model runs.
  GenerateRequest probe = call.request;
  probe.echo = true;
  check_by_first_piece([&](const PieceCallback& on_piece) {
    generate_text(lease->model(), context.vocab, probe, on_piece);
  });
  respond_with_events(response, context.stopping, [&context, lease, call](EventWriter& events) {
    const GenerateResult result =
        generate_text(lease->model(), context.vocab, call.request, [&](std::string_view piece) {
          return events.send({{"text", piece}});
        });
    events.send(summary(result, call.request), "done");
  });
}

}  // namespace rnnkit::serve
