#pragma once
// The GUI's files (gui/), compiled into vtapd by cmake/EmbedFiles.cmake: the daemon needs no
// installed data directory, and the page loads nothing from elsewhere.

#include <optional>
#include <string_view>

namespace vtap::api {

struct StaticFile {
  std::string_view path;          // `/index.html`
  std::string_view content_type;  // `text/html; charset=utf-8`
  std::string_view body;
};

std::optional<StaticFile> find_static_file(std::string_view path);

}  // namespace vtap::api
