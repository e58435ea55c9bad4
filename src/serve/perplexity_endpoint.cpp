#include <httplib.h>

#include "rnnkit/evaluate.h"
#include "rnnkit/text_corpus.h"
#include "serve/endpoints.h"
#include "serve/request_parsing.h"

namespace rnnkit::serve {

// The text is encoded and measured as `rnnkit eval --text` does a file: the vocabulary's own
// encoding, one stream from a zero state; the body is eval --json's.
void handle_perplexity(ServeContext& context, const httplib::Request& http,
                       httplib::Response& response) {
  const std::string text = text_as_read(parse_perplexity(http.body, context.options.limits));
  const std::vector<int32_t> ids = context.vocab.encode(text);
  ModelPool::Lease lease = context.lease_worker();
  const Perplexity p = evaluate_stream(lease.model(), ids);
  const nlohmann::json body = {{"perplexity", reported_perplexity(p)},
                               {"cross_entropy", p.cross_entropy},
                               {"bits_per_token", p.bits_per_token()},
                               {"tokens", p.tokens}};
  response.set_content(body.dump() + "\n", "application/json");
}

}  // namespace rnnkit::serve
