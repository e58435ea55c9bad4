#include <httplib.h>

#include <chrono>
#include <memory>

#include "serve/endpoints.h"
#include "serve/event_stream.h"
#include "serve/request_parsing.h"

namespace rnnkit::serve {
namespace {

// Writes call.count poems, poem k with seed + k, handing each piece to on_piece(k, piece);
// stops early when on_piece returns false (a client gone, the server stopping). Returns the
// response body.
nlohmann::json write_poems(LanguageModel& model, const Vocab& vocab, const PoemCall& call,
                           const std::function<bool(int, std::string_view)>& on_piece) {
  const auto started = std::chrono::steady_clock::now();
  nlohmann::json poems = nlohmann::json::array();
  bool cancelled = false;
  for (int k = 0; k < call.count && !cancelled; ++k) {
    PoemRequest request = call.request;
    request.sampling.seed += static_cast<uint64_t>(k);
    const Poem poem = write_poem(model, vocab, request,
                                 [&](std::string_view piece) { return on_piece(k, piece); });
    cancelled = poem.cancelled;
    poems.push_back(
        {{"text", poem.text()}, {"couplets", poem.couplets}, {"seed", request.sampling.seed}});
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return {{"poems", poems}, {"seconds", seconds}, {"cancelled", cancelled}};
}

}  // namespace

void handle_poem(ServeContext& context, const httplib::Request& http, httplib::Response& response) {
  const PoemCall call = parse_poem(http.body, context.options.limits);
  auto lease = std::make_shared<ModelPool::Lease>(context.lease_worker());
  if (!call.stream) {
    const nlohmann::json body =
        write_poems(lease->model(), context.vocab, call,
                    [&](int, std::string_view) { return !context.stopping.load(); });
    response.set_content(body.dump() + "\n", "application/json");
    return;
  }
  // The poems differ only in their seeds, so checking the first checks them all.
  check_by_first_piece([&](const PieceCallback& on_piece) {
    write_poem(lease->model(), context.vocab, call.request, on_piece);
  });
  respond_with_events(response, context.stopping, [&context, lease, call](EventWriter& events) {
    const nlohmann::json body =
        write_poems(lease->model(), context.vocab, call, [&](int k, std::string_view piece) {
          return events.send({{"poem", k}, {"text", piece}});
        });
    events.send(body, "done");
  });
}

}  // namespace rnnkit::serve
