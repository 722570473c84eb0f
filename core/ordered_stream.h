// core/ordered_stream.h — map a stream of items on the thread pool and hand the typed results to a
// sink in input order, one batch at a time (memory does not grow with the stream). The per-document
// commands and analyses use it (apps/common/analysis.h for_each_document) so that results travel
// as the worker produced them, typed, never packed into bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/thread_pool.h"

namespace textlrp {

// Reads items with next(item) (false = end), maps batches of `batch` items per thread with fn on
// `pool` (item i of a batch on thread i % pool.size()) and calls sink(item, result) for each in input
// order, then on_batch(count so far) when given. An exception thrown by fn stops the stream and the
// one of the first failing item (in input order) is rethrown here, as with one thread; next and sink
// run on the calling thread. Returns the number of items. The result type must be default-constructible.
template <class Item, class Next, class Fn, class Sink>
std::size_t map_in_order(ThreadPool& pool, std::size_t batch, Next&& next, Fn&& fn, Sink&& sink,
                         const std::function<void(std::size_t)>& on_batch = {}) {
  using Result = std::decay_t<std::invoke_result_t<Fn&, const Item&>>;
  const std::size_t batch_size = std::max<std::size_t>(1, batch) * static_cast<std::size_t>(pool.size());
  std::vector<Item> items;
  std::vector<Result> results;
  std::size_t total = 0;
  bool more = true;
  while (more) {
    items.clear();
    while (items.size() < batch_size) {
      Item item{};
      if (!next(item)) {
        more = false;
        break;
      }
      items.push_back(std::move(item));
    }
    if (items.empty()) break;
    results.clear();
    results.resize(items.size());
    pool.parallel_for(items.size(), [&](std::size_t i) { results[i] = fn(std::as_const(items[i])); });
    for (std::size_t i = 0; i < items.size(); ++i) sink(std::as_const(items[i]), results[i]);
    total += items.size();
    if (on_batch) on_batch(total);
  }
  return total;
}

}  // namespace textlrp
