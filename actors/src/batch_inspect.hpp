#pragma once

// How a record batch crosses nodes: CAF 0.17 `inspect` overloads for
// `record_batch` and `batch_ptr`, used by the link messages in protocol.hpp.
//
// They live in eddy::dataflow although they belong to the runtime: CAF finds
// `inspect` by argument-dependent lookup only, and the namespaces associated
// with `std::shared_ptr<const dataflow::record_batch>` are std and
// eddy::dataflow. The framework itself stays free of CAF.
//
// A batch travels by value (first_seq, count, data, watermark); loading
// allocates a new one, so the receiver owns an immutable copy like any other.
// A null batch_ptr is refused with an error: no link message carries one
// (outbound dereferences every batch before it frames it), and a null batch
// in a delivered frame would crash another node, far from the bug. CAF 0.17
// tells nobody, though: its message serialization drops the error
// (`serialize(Processor&, type_erased_tuple&)` returns void), so the sender
// ships a truncated message, and the receiver's actor gets an empty one,
// which CAF prints as "*** unexpected message" and answers, for a request,
// with sec::unexpected_message.

#include <memory>
#include <type_traits>

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/none.hpp>
#include <caf/sec.hpp>

#include "transport/channel.hpp"

namespace eddy::dataflow {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_batch& x) {
  return f(caf::meta::type_name("eddy.batch"), x.first_seq, x.count, x.data, x.watermark);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, std::shared_ptr<const record_batch>& x) {
  if constexpr (Inspector::writes_state) {
    auto fresh = std::make_shared<record_batch>();
    if (auto err = f(*fresh))
      return err;
    x = std::move(fresh);
    return caf::none;
  } else if constexpr (std::is_void_v<typename Inspector::result_type>) {
    f(x.get()); // to_string: CAF prints "<null>" or the batch
  } else {
    if (!x)
      return caf::make_error(caf::sec::invalid_argument,
                             "eddy.batch: a null batch_ptr cannot cross nodes");
    return f(const_cast<record_batch&>(*x)); // saving reads only
  }
}

} // namespace eddy::dataflow
