# libopenvswitch, built from Debian's openvswitch-source tarball (Debian ships no
# libopenvswitch-dev). Defines VTAP_WITH_OPENVSWITCH and, when it is on, the imported target
# vtap::openvswitch_c: lib/.libs/libopenvswitch.a, its headers (as SYSTEM include
# directories: they are not warning-clean) and the libraries it needs.
#
# The tarball is extracted and configured once, at CMake configure time, in
# ${CMAKE_BINARY_DIR}/openvswitch/ (skipped when its config.status exists); `make` runs as a
# build step that Ninja skips once libopenvswitch.a is newer than the tarball.

find_file(VTAP_OPENVSWITCH_TARBALL NAMES openvswitch.tar.xz openvswitch.tar.gz
          PATHS /usr/src/openvswitch /usr/src NO_DEFAULT_PATH
          DOC "The Open vSwitch source tarball (Debian package openvswitch-source)")
if(VTAP_OPENVSWITCH_TARBALL)
  set(_vtap_ovs_default ON)
else()
  set(_vtap_ovs_default OFF)
endif()
option(VTAP_WITH_OPENVSWITCH "Build the libopenvswitch transport and OVSDB discovery (needs openvswitch-source)"
       ${_vtap_ovs_default})
if(NOT VTAP_WITH_OPENVSWITCH)
  return()
endif()
enable_language(C)
if(NOT VTAP_OPENVSWITCH_TARBALL)
  message(FATAL_ERROR "VTAP_WITH_OPENVSWITCH=ON but no Open vSwitch source tarball was found: "
                      "apt-get install openvswitch-source, or set VTAP_OPENVSWITCH_TARBALL")
endif()

set(VTAP_OVS_ROOT ${CMAKE_BINARY_DIR}/openvswitch)
set(VTAP_OVS_SRC ${VTAP_OVS_ROOT}/openvswitch)
set(VTAP_OVS_LIB ${VTAP_OVS_SRC}/lib/.libs/libopenvswitch.a)

if(NOT EXISTS ${VTAP_OVS_SRC}/config.status)
  message(STATUS "Extracting and configuring Open vSwitch from ${VTAP_OPENVSWITCH_TARBALL} (once)")
  file(REMOVE_RECURSE ${VTAP_OVS_ROOT})
  file(ARCHIVE_EXTRACT INPUT ${VTAP_OPENVSWITCH_TARBALL} DESTINATION ${VTAP_OVS_ROOT})
  if(NOT EXISTS ${VTAP_OVS_SRC}/configure)
    message(FATAL_ERROR "${VTAP_OPENVSWITCH_TARBALL} holds no openvswitch/configure")
  endif()
  # A static, position-independent library (libvtap may end up in a Python extension);
  # no libcap-ng (only the daemons drop capabilities).
  execute_process(
    COMMAND ./configure --enable-static --disable-shared --with-pic --disable-libcapng CFLAGS=-O2
    WORKING_DIRECTORY ${VTAP_OVS_SRC}
    OUTPUT_FILE ${VTAP_OVS_ROOT}/configure.log ERROR_FILE ${VTAP_OVS_ROOT}/configure.log
    RESULT_VARIABLE _vtap_ovs_rc)
  if(NOT _vtap_ovs_rc EQUAL 0)
    file(REMOVE ${VTAP_OVS_SRC}/config.status)
    message(FATAL_ERROR "Open vSwitch ./configure failed; see ${VTAP_OVS_ROOT}/configure.log")
  endif()
endif()

# The libraries libopenvswitch needs, as configure found them.
file(STRINGS ${VTAP_OVS_SRC}/Makefile _vtap_ovs_make_vars REGEX "^(LIBS|SSL_LIBS|CAPNG_LDADD) = ")
set(_vtap_ovs_libs "")
foreach(_line IN LISTS _vtap_ovs_make_vars)
  string(REGEX REPLACE "^[A-Z_]+ = " "" _value "${_line}")
  separate_arguments(_value UNIX_COMMAND "${_value}")
  list(APPEND _vtap_ovs_libs ${_value})
endforeach()
list(REMOVE_DUPLICATES _vtap_ovs_libs)
# On x86 configure may add a convenience library of AVX-512 code that the static
# libopenvswitch.a does not contain.
file(STRINGS ${VTAP_OVS_SRC}/Makefile _vtap_ovs_avx512 REGEX "^am__append_[0-9]+ = lib/libopenvswitchavx512.la")
set(_vtap_ovs_outputs ${VTAP_OVS_LIB})
if(_vtap_ovs_avx512)
  list(APPEND _vtap_ovs_outputs ${VTAP_OVS_SRC}/lib/.libs/libopenvswitchavx512.a)
  list(PREPEND _vtap_ovs_libs ${VTAP_OVS_SRC}/lib/.libs/libopenvswitchavx512.a)
endif()
find_package(Threads REQUIRED)
list(APPEND _vtap_ovs_libs Threads::Threads)

# OVS's generated headers (BUILT_SOURCES) must exist before any of its objects compiles;
# `make lib/libopenvswitch.la` alone does not make them, so a first pass does.
file(WRITE ${VTAP_OVS_ROOT}/built-sources.mk "include Makefile\nvtap-built-sources: $(BUILT_SOURCES)\n")
add_custom_command(
  OUTPUT ${_vtap_ovs_outputs}
  COMMAND make -s -f ${VTAP_OVS_ROOT}/built-sources.mk -j2 vtap-built-sources
  COMMAND make -s -j2 lib/libopenvswitch.la
  WORKING_DIRECTORY ${VTAP_OVS_SRC}
  DEPENDS ${VTAP_OPENVSWITCH_TARBALL} ${VTAP_OVS_SRC}/config.status
  COMMENT "Building libopenvswitch (about two minutes on two cores, once)"
  USES_TERMINAL VERBATIM)
add_custom_target(vtap_openvswitch_build DEPENDS ${_vtap_ovs_outputs})

add_library(vtap::openvswitch_c STATIC IMPORTED GLOBAL)
set_target_properties(vtap::openvswitch_c PROPERTIES
  IMPORTED_LOCATION ${VTAP_OVS_LIB}
  INTERFACE_INCLUDE_DIRECTORIES "${VTAP_OVS_SRC};${VTAP_OVS_SRC}/include;${VTAP_OVS_SRC}/lib"
  INTERFACE_LINK_LIBRARIES "${_vtap_ovs_libs}")
add_dependencies(vtap::openvswitch_c vtap_openvswitch_build)
