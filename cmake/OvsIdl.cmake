# Builds libopenvswitch.a and the OVN IDL once, cached in the build tree
# (scripts/build-ovs-idl.sh keeps stamps, so re-running CMake or the build
# does not redo it). Defines the imported target ovs::openvswitch and the
# library ovs_idl (OVN NB/SB IDL sources compiled as C).
set(OVS_BUILD_DIR ${CMAKE_BINARY_DIR}/ovs)
set(OVS_SRC_DIR ${OVS_BUILD_DIR}/src)
set(OVS_LIB ${OVS_SRC_DIR}/lib/.libs/libopenvswitch.a)
set(OVS_IDL_DIR ${OVS_BUILD_DIR}/idl)
set(OVS_ANN_DIR ${CMAKE_SOURCE_DIR}/ovn-monitor/idl)
set(OVS_IDL_FILES ${OVS_IDL_DIR}/ovn-nb-idl.c ${OVS_IDL_DIR}/ovn-nb-idl.h
                  ${OVS_IDL_DIR}/ovn-sb-idl.c ${OVS_IDL_DIR}/ovn-sb-idl.h)

add_custom_command(
  OUTPUT ${OVS_LIB} ${OVS_IDL_FILES}
  COMMAND ${CMAKE_SOURCE_DIR}/scripts/build-ovs-idl.sh ${OVS_BUILD_DIR} ${OVS_ANN_DIR}
  DEPENDS ${CMAKE_SOURCE_DIR}/scripts/build-ovs-idl.sh
          ${OVS_ANN_DIR}/ovn-nb-idl.ann ${OVS_ANN_DIR}/ovn-sb-idl.ann
  COMMENT "OVS library and OVN IDL (built once, cached in ${OVS_BUILD_DIR})"
  VERBATIM)
add_custom_target(ovs_build DEPENDS ${OVS_LIB} ${OVS_IDL_FILES})

# The include directories must exist at configure time for imported targets.
file(MAKE_DIRECTORY ${OVS_SRC_DIR}/include ${OVS_SRC_DIR}/lib ${OVS_IDL_DIR})

add_library(ovs::openvswitch STATIC IMPORTED GLOBAL)
set_target_properties(ovs::openvswitch PROPERTIES
  IMPORTED_LOCATION ${OVS_LIB}
  INTERFACE_INCLUDE_DIRECTORIES "${OVS_SRC_DIR};${OVS_SRC_DIR}/include;${OVS_SRC_DIR}/lib"
  INTERFACE_LINK_LIBRARIES "atomic;m;Threads::Threads;rt;OpenSSL::SSL;OpenSSL::Crypto")

add_library(ovs_idl STATIC ${OVS_IDL_DIR}/ovn-nb-idl.c ${OVS_IDL_DIR}/ovn-sb-idl.c)
set_source_files_properties(${OVS_IDL_FILES} PROPERTIES GENERATED TRUE)
target_include_directories(ovs_idl PUBLIC ${OVS_IDL_DIR})
target_compile_options(ovs_idl PRIVATE -w)
target_link_libraries(ovs_idl PUBLIC ovs::openvswitch)
add_dependencies(ovs_idl ovs_build)
