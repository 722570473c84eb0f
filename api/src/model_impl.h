// api/src/model_impl.h — what a textlrp::Model holds: the command-line tool's loaded model
// (apps/common/model.h). Internal to api/src.
#pragma once

#include "apps/common/model.h"
#include "textlrp/model.h"

namespace textlrp {

struct Model::Impl {
  app::Model model;
};

}  // namespace textlrp
