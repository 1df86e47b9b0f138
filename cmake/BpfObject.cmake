# add_bpf_object(<name> <source.bpf.c> [DEFINES <macro>...])
#   Compiles an eBPF program with clang (-target bpf, CO-RE debug info, UAPI
#   headers) into ${CMAKE_BINARY_DIR}/bpf/<name>.bpf.o, generates the libbpf
#   skeleton <name>.skel.h next to it, and defines the target bpf_<name>
#   (an INTERFACE library whose include path exposes the skeleton).
find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)
execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch
                OUTPUT_VARIABLE BPF_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
# libbpf's bpf_tracing.h names architectures as the kernel does.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|i.86|amd64|AMD64)$")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(BPF_TARGET_ARCH arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  set(BPF_TARGET_ARCH arm)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(ppc64|ppc64le|powerpc64)")
  set(BPF_TARGET_ARCH powerpc)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^s390")
  set(BPF_TARGET_ARCH s390)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^riscv")
  set(BPF_TARGET_ARCH riscv)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()
# The flags every eBPF object is compiled with (custom modules too: hoverd
# gets them at build time).
set(BPF_CFLAGS -target bpf -O2 -g -Wall -D__TARGET_ARCH_${BPF_TARGET_ARCH} -I/usr/include/${BPF_MULTIARCH})
set(BPF_OUTPUT_DIR ${CMAKE_BINARY_DIR}/bpf)
file(MAKE_DIRECTORY ${BPF_OUTPUT_DIR})

function(add_bpf_object name source)
  cmake_parse_arguments(BPF "" "" "DEFINES" ${ARGN})
  set(defines)
  foreach(d ${BPF_DEFINES})
    list(APPEND defines -D${d})
  endforeach()
  get_filename_component(src ${source} ABSOLUTE)
  set(obj ${BPF_OUTPUT_DIR}/${name}.bpf.o)
  set(skel ${BPF_OUTPUT_DIR}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${BPF_CLANG} ${BPF_CFLAGS} -Werror ${defines} -I${CMAKE_SOURCE_DIR}/bpf
            -MD -MF ${obj}.d -c ${src} -o ${obj}
    DEPENDS ${src}
    DEPFILE ${obj}.d
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(bpf_${name}_gen ALL DEPENDS ${obj} ${skel})
  add_library(bpf_${name} INTERFACE)
  target_include_directories(bpf_${name} INTERFACE ${BPF_OUTPUT_DIR} ${CMAKE_SOURCE_DIR}/bpf)
  target_link_libraries(bpf_${name} INTERFACE PkgConfig::LIBBPF)
  add_dependencies(bpf_${name} bpf_${name}_gen)
endfunction()
