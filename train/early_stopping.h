// train/early_stopping.h — what the neural trainers (CNN, BiLSTM) share: the per-epoch training
// report and early stopping on the dev accuracy.
#pragma once

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

namespace textlrp::train {

struct TrainReport {
  int epochs_run = 0;
  int best_epoch = 0;
  double best_dev_accuracy = 0;
  std::vector<double> dev_accuracy;  // per epoch
  std::vector<double> train_loss;    // per epoch
};

// Keeps a copy of the parameters of the best dev epoch (the first of equals) and stops after
// `patience` epochs without improvement. Without a dev set every epoch counts as the best, so the
// last one is kept and all epochs run.
template <class Params>
class EarlyStopping {
 public:
  // epoch_done (may be empty) is called with (epoch, train loss, dev accuracy, seconds).
  EarlyStopping(const Params& initial, int patience, bool have_dev,
                std::function<void(int, double, double, double)> epoch_done)
      : best_(initial), patience_(patience), have_dev_(have_dev), epoch_done_(std::move(epoch_done)) {}

  // Records an epoch; returns false when training should stop.
  bool end_epoch(int epoch, double train_loss, double dev_accuracy, double seconds, const Params& p) {
    report_.dev_accuracy.push_back(dev_accuracy);
    report_.train_loss.push_back(train_loss);
    report_.epochs_run = epoch;
    if (epoch_done_) epoch_done_(epoch, train_loss, dev_accuracy, seconds);
    if (dev_accuracy > best_accuracy_ || !have_dev_) {
      best_accuracy_ = dev_accuracy;
      report_.best_epoch = epoch;
      best_ = p;
      since_best_ = 0;
      return true;
    }
    return ++since_best_ < patience_;
  }

  Params& best() { return best_; }
  TrainReport report() const {
    TrainReport r = report_;
    r.best_dev_accuracy = std::max(best_accuracy_, 0.0);
    return r;
  }

 private:
  Params best_;
  int patience_;
  bool have_dev_;
  std::function<void(int, double, double, double)> epoch_done_;
  TrainReport report_;
  double best_accuracy_ = -1;
  int since_best_ = 0;
};

}  // namespace textlrp::train
