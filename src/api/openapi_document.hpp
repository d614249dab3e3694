#pragma once
// docs/openapi.json, compiled in (openapi_document.cpp is generated from it by CMake).

#include <string_view>

namespace vtap::api {
std::string_view openapi_document();
}
