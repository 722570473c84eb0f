// api/src/model_impl.h — what a textlrp::Model holds: the loaded model directory
// (lrp/model_dir.h). Internal to api/src.
#pragma once

#include "lrp/model_dir.h"
#include "textlrp/model.h"

namespace textlrp {

struct Model::Impl {
  lrp::ModelDir model;
};

}  // namespace textlrp
