#include <httplib.h>

#include <chrono>
#include <memory>

#include "serve/endpoints.h"
#include "serve/event_stream.h"
#include "serve/http_error.h"
#include "serve/piece_channel.h"
#include "serve/request_parsing.h"

namespace rnnkit::serve {
namespace {

// Writes poem k of a call (seed + k), handing its pieces to on_piece.
using PoemWriter = std::function<Poem(int k, const PieceCallback& on_piece)>;

PoemRequest poem_request(const PoemCall& call, int k) {
  PoemRequest request = call.request;
  request.sampling.seed += static_cast<uint64_t>(k);
  return request;
}

// Writes call.count poems with write_one, handing each piece to on_piece(k, piece); stops early
// when on_piece returns false (a client gone, the server stopping). Returns the response body.
nlohmann::json write_poems(const PoemCall& call, const PoemWriter& write_one,
                           const std::function<bool(int, std::string_view)>& on_piece) {
  const auto started = std::chrono::steady_clock::now();
  nlohmann::json poems = nlohmann::json::array();
  bool cancelled = false;
  for (int k = 0; k < call.count && !cancelled; ++k) {
    const Poem poem = write_one(k, [&](std::string_view piece) { return on_piece(k, piece); });
    cancelled = poem.cancelled;
    poems.push_back({{"text", poem.text()},
                     {"couplets", poem.couplets},
                     {"seed", poem_request(call, k).sampling.seed}});
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return {{"poems", poems}, {"seconds", seconds}, {"cancelled", cancelled}};
}

// Poem k as a session of the decode loop.
std::shared_ptr<PoemWriting> poem_session(const ServeContext& context,
                                          const DecodeScheduler& scheduler, const PoemCall& call,
                                          int k, PieceCallback on_piece) {
  return std::make_shared<PoemWriting>(scheduler.model(), context.vocab, poem_request(call, k),
                                       std::move(on_piece));
}

// The call's poems one after another in the decode loop of the served model, each decoded with
// the other requests' sessions.
void poems_batched(ServeContext& context, DecodeScheduler& scheduler, const PoemCall& call,
                   const httplib::Request& http, httplib::Response& response) {
  if (!call.stream) {
    const PieceCallback wanted = context.while_answer_wanted();
    const nlohmann::json body = write_poems(
        call,
        [&](int k, const PieceCallback& on_piece) {
          auto session = poem_session(context, scheduler, call, k, on_piece);
          scheduler.run(session, /*admit_always=*/k > 0);
          return session->poem();
        },
        [&](int, std::string_view piece) { return wanted(piece); });
    if (body["cancelled"]) throw cut_short(context.stopping.load());
    response.set_content(body.dump() + "\n", "application/json");
    return;
  }
  // Poem 0 is admitted before the stream starts, so a bad request (its session's constructor
  // checks it; the others differ only in their seeds) or a full loop gets its status.
  auto channel = std::make_shared<PieceChannel>(context.stopping);
  auto session = poem_session(context, scheduler, call, 0, channel->listener());
  scheduler.submit(session, [channel](std::exception_ptr error) { channel->end(error); });
  respond_with_events(
      http, response, context.stopping,
      [&context, &scheduler, channel, session, call](EventWriter& events) mutable {
        const PoemWriter write_one = [&](int k, const PieceCallback& on_piece) {
          if (k > 0) {
            channel = std::make_shared<PieceChannel>(context.stopping);
            session = poem_session(context, scheduler, call, k, channel->listener());
            scheduler.submit(
                session, [channel](std::exception_ptr error) { channel->end(error); },
                /*admit_always=*/true);
          }
          while (const auto piece = channel->pop()) {
            if (!on_piece(*piece)) channel->cancel();
          }
          return session->poem();
        };
        const nlohmann::json body =
            write_poems(call, write_one, [&](int k, std::string_view piece) {
              return events.send({{"poem", k}, {"text", piece}});
            });
        events.send(body, "done");
      });
}

}  // namespace

void handle_poem(ServeContext& context, const httplib::Request& http, httplib::Response& response) {
  const PoemCall call = parse_poem(http.body, context.options.limits);
  if (context.scheduler) return poems_batched(context, *context.scheduler, call, http, response);
  auto lease = std::make_shared<ModelPool::Lease>(context.lease_worker());
  const PoemWriter write_one = [lease, &context, &call](int k, const PieceCallback& on_piece) {
    return write_poem(lease->model(), context.vocab, poem_request(call, k), on_piece);
  };
  if (!call.stream) {
    const PieceCallback wanted = context.while_answer_wanted();
    const nlohmann::json body =
        write_poems(call, write_one, [&](int, std::string_view piece) { return wanted(piece); });
    if (body["cancelled"]) throw cut_short(context.stopping.load());
    response.set_content(body.dump() + "\n", "application/json");
    return;
  }
  // The poems differ only in their seeds, so checking the first checks them all.
  check_by_first_piece([&](const PieceCallback& on_piece) {
    write_poem(lease->model(), context.vocab, call.request, on_piece);
  });
  respond_with_events(
      http, response, context.stopping, [&context, lease, call](EventWriter& events) {
        const nlohmann::json body = write_poems(
            call,
            [&](int k, const PieceCallback& on_piece) {
              return write_poem(lease->model(), context.vocab, poem_request(call, k), on_piece);
            },
            [&](int k, std::string_view piece) {
              return events.send({{"poem", k}, {"text", piece}});
            });
        events.send(body, "done");
      });
}

}  // namespace rnnkit::serve
