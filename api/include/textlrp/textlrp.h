// textlrp/textlrp.h — the public C++ API of textlrp (umbrella header): open a model directory,
// predict, explain a text down to its tokens and words, write the explanation as a schema-1 JSONL
// line or an HTML report, and analyse explanations (textlrp/analysis.h: top words, document
// vectors, PCA, EPI, deletion curves). Training is textlrp/train.h (builds with training only).
//
// Users: C++ programs that want explanations at run time (a service, a labelling tool), the
// examples/embed program; link textlrp::textlrp (find_package(textlrp CONFIG REQUIRED)).
//
//   #include <textlrp/textlrp.h>
//   const textlrp::Model model = textlrp::Model::open("models/sms-svm");
//   const textlrp::Explanation e = model.explain("Free entry in a weekly competition");
//   for (const auto& t : e.tokens) std::printf("%s %g\n", t.text.c_str(), t.relevance);
//
// Nothing here includes CLI11 or the command-line tool's headers; errors are the exceptions of
// core/error.h (textlrp::IoError, FormatError, InvalidArgument, all textlrp::Error).
#pragma once

#include "core/error.h"
#include "textlrp/analysis.h"
#include "textlrp/explanation.h"
#include "textlrp/model.h"
#include "textlrp/version.h"
