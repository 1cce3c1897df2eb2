// A response as the bytes that go on the wire: status line, fields, blank line, body, in one
// contiguous string, so the connection sends it with one write of one buffer. Beast's own
// serializer walks the fields as a long buffer sequence, which showed up as ~8% of the CPU of a
// small answer (bench/README.md, "Profile").
#pragma once
#include <string>

#include "http/types.hpp"

namespace archon::http {

// Appends the serialized `res` to `out`. The fields are written as they are (the dispatcher has
// set Content-Length; `Connection` comes from keep_alive()); nothing is added or reordered.
void serialize_response(const Response& res, std::string& out);

}  // namespace archon::http
