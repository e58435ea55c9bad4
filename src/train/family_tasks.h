#pragma once
#include "rnnkit/classifier_training.h"
#include "rnnkit/forecast_training.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/seq2seq_training.h"
#include "rnnkit/trainer.h"

namespace rnnkit {

// Each family's run: fresh (state null) or resumed from its state.bin. Adding a family is its
// task file plus one line in resume.cpp.
TrainSummary train_language_model_from(const TrainOptions& options, const SafetensorsFile* state);
TrainSummary train_seq2seq_from(const Seq2seqTrainOptions& options, const SafetensorsFile* state);
TrainSummary train_classifier_from(const ClassifierTrainOptions& options,
                                   const SafetensorsFile* state);
TrainSummary train_forecaster_from(const ForecastTrainOptions& options,
                                   const SafetensorsFile* state);

}  // namespace rnnkit
