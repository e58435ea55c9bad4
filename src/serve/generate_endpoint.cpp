#include <httplib.h>

#include <memory>

#include "serve/endpoints.h"
#include "serve/event_stream.h"
#include "serve/http_error.h"
#include "serve/piece_channel.h"
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

// A sampling request in the decode loop of the served model, decoded with the others.
void generate_batched(ServeContext& context, DecodeScheduler& scheduler, const GenerateCall& call,
                      const httplib::Request& http, httplib::Response& response) {
  if (!call.stream) {
    auto session = std::make_shared<TextGeneration>(scheduler.model(), context.vocab, call.request,
                                                    context.while_answer_wanted());
    scheduler.run(session);
    if (session->result().finish_reason == FinishReason::Cancelled)
      throw cut_short(context.stopping.load());
    response.set_content(summary(session->result(), call.request).dump() + "\n",
                         "application/json");
    return;
  }
  // The session's constructor makes every check, so a bad request fails before the stream.
  auto channel = std::make_shared<PieceChannel>(context.stopping);
  auto session = std::make_shared<TextGeneration>(scheduler.model(), context.vocab, call.request,
                                                  channel->listener());
  scheduler.submit(session, [channel](std::exception_ptr error) { channel->end(error); });
  respond_with_events(http, response, context.stopping,
                      [channel, session, call](EventWriter& events) {
                        while (const auto piece = channel->pop()) {
                          if (!events.send({{"text", *piece}})) channel->cancel();
                        }
                        events.send(summary(session->result(), call.request), "done");
                      });
}

}  // namespace

void handle_generate(ServeContext& context, const httplib::Request& http,
                     httplib::Response& response) {
  const GenerateCall call = parse_generate(http.body, context.options.limits);
  if (context.scheduler && call.request.beam_width == 0)
    return generate_batched(context, *context.scheduler, call, http, response);
  auto lease = std::make_shared<ModelPool::Lease>(context.lease_worker());
  if (!call.stream) {
    const GenerateResult result =
        generate_text(lease->model(), context.vocab, call.request, context.while_answer_wanted(),
                      context.answer_wanted());
    if (result.finish_reason == FinishReason::Cancelled) throw cut_short(context.stopping.load());
    response.set_content(summary(result, call.request).dump() + "\n", "application/json");
    return;
  }
  // With echo on, the first piece is the prompt, so the check ends before the model runs.
  GenerateRequest probe = call.request;
  probe.echo = true;
  check_by_first_piece([&](const PieceCallback& on_piece) {
    generate_text(lease->model(), context.vocab, probe, on_piece);
  });
  respond_with_events(http, response, context.stopping,
                      [&context, lease, call](EventWriter& events) {
                        const GenerateResult result = generate_text(
                            lease->model(), context.vocab, call.request,
                            [&](std::string_view piece) {
                              return events.send({{"text", piece}});
                            },
                            context.answer_wanted());
                        events.send(summary(result, call.request), "done");
                      });
}

}  // namespace rnnkit::serve
