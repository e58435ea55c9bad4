#pragma once
#include <cstdint>
#include <string>

namespace rnnkit {

// Everything `rnnkit train` is told. Stored (as JSON) in the run's state.bin so that `--resume`
// continues with exactly the settings the run started with.
struct TrainOptions {
  // Data: a text file, or a directory of Tang-poem JSON files.
  std::string text_path;
  std::string poems_path;
  std::string valid_path;       // held-out text; otherwise the tail valid_fraction of the text
  double valid_fraction = 0.0;  // text: tail fraction; poems: fraction of poems (default 0.05)
  std::string level = "char";   // char | word
  bool lowercase = false;
  bool letters_only = false;
  int64_t min_count = 1;
  int64_t max_vocab = 0;
  bool eos_per_line = false;          // word level: <eos> at each line end (PTB style)
  int64_t max_tokens = 0;             // keep only the first N tokens (d2l's max_tokens)
  std::string script = "simplified";  // poems: simplified (OpenCC t2s) or traditional
  int poem_form = 0;                  // poems: 0 any, 5 or 7 regular poems only
  int64_t poem_max_length = 125;      // poems: sequence length including <START> and <EOP>
  bool packed = true;                 // poems: length-bucketed batches instead of padding to max

  // Model.
  std::string cell = "lstm";
  int64_t layers = 2;
  int64_t hidden = 256;
  int64_t proj_size = 0;    // LSTM with projections: h is proj_size wide (0 = none)
  int64_t embedding = 128;  // 0 = one-hot input
  bool bidirectional = false;
  double dropout = 0.0;
  bool tie_weights = false;
  double init_range = 0.0;  // > 0: every parameter uniform(-a, a) instead of PyTorch's init
  std::string init_from;    // start from this checkpoint (its configuration and vocabulary)
  std::string pretrained_embeddings;  // GloVe / word2vec text file

  // Batching.
  int64_t batch = 32;
  int64_t bptt = 35;
  std::string sampling = "sequential";  // sequential | random
  int64_t offset = 0;
  bool random_offset = false;  // sequential: a new random offset in [0, bptt) every epoch

  // Optimisation.
  std::string optimizer = "adam";  // sgd | adam | adamw
  double lr = 1e-3;
  double momentum = 0.0;
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double clip = 0.0;  // max global gradient norm; 0 = no clipping
  std::string schedule = "fixed";
  bool skip_nonfinite = false;

  // Budget: whichever comes first; none given = 1 epoch.
  int64_t epochs = 0;
  int64_t steps = 0;
  double time_limit = 0.0;  // seconds

  // Output.
  std::string out_dir;
  int64_t log_every = 0;         // 0 = automatic
  int64_t valid_every = 0;       // steps; 0 = at each epoch end
  int64_t checkpoint_every = 0;  // steps; 0 = at each epoch end
  int64_t sample_every = 0;      // steps; 0 = never
  int64_t sample_length = 200;
  std::string dtype = "f32";  // checkpoint storage: f32 | f16 | bf16
  uint64_t seed = 1;
  int threads = 0;  // 0 = all cores
  // Matrix products in bfloat16 (see set_matmul_precision); part of the run, so that a resumed
  // run continues in the precision it started in.
  bool bf16 = false;

  std::string to_json() const;
  static TrainOptions from_json(const std::string& json);
  void validate() const;  // Error naming the impossible option
};

}  // namespace rnnkit
