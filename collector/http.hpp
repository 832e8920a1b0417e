// The one place the collector includes cpp-httplib.
#pragma once

// Debian's libcpp-httplib-dev ships the compiled ("split") build of cpp-httplib 0.11, made with
// OpenSSL, zlib and Brotli support (see its cpp-httplib.pc). The feature macros change the layout
// of httplib::Request, so every translation unit must declare the same ones as the library did.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>
