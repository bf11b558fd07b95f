#pragma once
// Durations and sizes as operators write them: "10s", "500ms", "8KiB", "256MiB".
// No YAML here, so the CLI (`ctl drain --wait 30s`) can parse the same way.

#include <string>
#include <string_view>

#include "proxy/base/byte_size.h"
#include "proxy/base/duration.h"
#include "proxy/base/result.h"

namespace gatehouse::config {

// A year: longer is surely a typo, and far-off deadlines would overflow the nanosecond clocks
// that code adds durations to.
inline constexpr Duration kMaxDuration{365LL * 24 * 3600 * 1000};
// 1 PiB: keeps sums of sizes far from uint64 overflow.
inline constexpr ByteSize kMaxByteSize{uint64_t{1} << 50};

// Accepts a whole number followed by a unit: "500ms", "10s", "2m", "1h". The unit is required,
// because a bare "30" reads as seconds to some and milliseconds to others. Rejects signs,
// fractions, unknown units and values above kMaxDuration.
Result<Duration> parseDuration(std::string_view text);

// Accepts a whole number of bytes, bare or with B, KiB, MiB or GiB: "8192", "8KiB", "1GiB".
// Rejects signs, fractions, decimal units (KB is ambiguous) and values above kMaxByteSize.
Result<ByteSize> parseByteSize(std::string_view text);

// The shortest exact spelling parseByteSize() accepts: "8KiB", "100MiB", "300".
std::string formatByteSize(ByteSize size);

}  // namespace gatehouse::config
