#include "http/router.hpp"

#include <algorithm>

namespace archon::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  // "/" -> {""}; "/a/b" -> {"a","b"}; "/a/" -> {"a",""} so trailing slashes never match.
  std::size_t start = 1;
  while (true) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(path.substr(start));
      break;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

}  // namespace

void Router::add(Verb method, std::string path_template, Handler handler, RouteOptions options) {
  Route r{method, std::move(path_template), {}, std::move(handler), std::move(options)};
  if (!r.options.commits)
    r.options.commits = method == Verb::post || method == Verb::put || method == Verb::patch || method == Verb::delete_;
  for (auto s : split_path(r.path_template)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

Router::Match Router::match(Verb method, std::string_view path) const {
  Match m;
  if (path.empty() || path.front() != '/') return m;
  auto segs = split_path(path);
  Verb wanted = method == Verb::head ? Verb::get : method;
  // The templates with the most literal segments own the path: /users/me is its own resource
  // (GET, PUT), so PATCH /users/me is 405, not /users/{id} with id "me". One pass, no
  // allocation beyond `allowed` (this runs on every request): a better score starts over.
  int best_score = -1;
  for (const auto& r : routes_) {
    if (r.segments.size() != segs.size()) continue;
    int score = 0;
    bool ok = true;
    for (std::size_t i = 0; i < segs.size() && ok; ++i) {
      if (is_param(r.segments[i])) ok = !segs[i].empty();
      else if (r.segments[i] == segs[i]) ++score;
      else ok = false;
    }
    if (!ok || score < best_score) continue;
    if (score > best_score) {
      best_score = score;
      m.allowed.clear();
      m.route = nullptr;
      m.path_template = r.path_template;
    }
    m.path_exists = true;
    if (std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end()) m.allowed.push_back(r.method);
    if (r.method == wanted && !m.route) m.route = &r;
  }
  if (m.route) {
    for (std::size_t i = 0; i < segs.size(); ++i)
      if (is_param(m.route->segments[i]))
        m.params.emplace_back(std::string_view(m.route->segments[i]).substr(1, m.route->segments[i].size() - 2),
                              std::string(segs[i]));
  }
  if (m.path_exists) {
    if (std::find(m.allowed.begin(), m.allowed.end(), Verb::get) != m.allowed.end()) m.allowed.push_back(Verb::head);
    m.allowed.push_back(Verb::options);
  }
  return m;
}

std::string Router::allow_header(const std::vector<Verb>& methods) {
  std::string out;
  for (Verb v : methods) {
    if (!out.empty()) out += ", ";
    out += bhttp::to_string(v);
  }
  return out;
}

boost::json::array Router::describe() const {
  boost::json::array out;
  for (const auto& r : routes_)
    out.push_back(boost::json::object{{"method", bhttp::to_string(r.method)}, {"path", r.path_template}});
  return out;
}

}  // namespace archon::http
