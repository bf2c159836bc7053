# Installation and the two Debian packages (CPack's DEB generator): `stackato` (the client) and
# `kato` (the micro cloud). scripts/package.sh builds them into build/packages/; the test
# "e2e: packages" checks them with lintian, dpkg -x, man -l and systemd-analyze verify.
include(GNUInstallDirs)

set(STACKATO_MAINTAINER "stackato developers <stackato@example.org>")
set(pkg_dir ${CMAKE_SOURCE_DIR}/packaging)
set(gen_dir ${CMAKE_BINARY_DIR}/packaging)

# The date of the last commit, so that rebuilt packages are identical (reproducible builds).
execute_process(COMMAND git -C ${CMAKE_SOURCE_DIR} log -1 --format=%aD
                OUTPUT_VARIABLE STACKATO_RELEASE_DATE OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT STACKATO_RELEASE_DATE)
  set(STACKATO_RELEASE_DATE "Tue, 01 Dec 2026 00:00:00 +0000")
endif()

# Man pages from the command tree (hidden `manpage` commands), and gzipped docs: Debian policy
# wants both compressed with gzip -9n. Not a pipe into gzip: sh has no pipefail, and a program
# that failed would leave an empty page and a build that passed.
function(stackato_gzip out)
  add_custom_command(OUTPUT ${out} COMMAND gzip -9n -c ${ARGN} > ${out} DEPENDS ${ARGN} VERBATIM)
endfunction()
add_custom_command(OUTPUT ${gen_dir}/stackato.1.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${gen_dir}
  COMMAND sh -c "$<TARGET_FILE:stackato> manpage > ${gen_dir}/stackato.1 && gzip -9nf ${gen_dir}/stackato.1"
  DEPENDS stackato VERBATIM)
add_custom_command(OUTPUT ${gen_dir}/kato.8.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${gen_dir}
  COMMAND sh -c "$<TARGET_FILE:kato> manpage > ${gen_dir}/kato.8 && gzip -9nf ${gen_dir}/kato.8"
  DEPENDS kato VERBATIM)
set(doc_outputs ${gen_dir}/stackato.1.gz ${gen_dir}/kato.8.gz)
foreach(pkg stackato kato)
  set(PKG ${pkg})
  set(MAINTAINER ${STACKATO_MAINTAINER})
  set(DATE ${STACKATO_RELEASE_DATE})
  configure_file(${pkg_dir}/changelog.in ${gen_dir}/${pkg}/changelog @ONLY)
  stackato_gzip(${gen_dir}/${pkg}/changelog.gz ${gen_dir}/${pkg}/changelog)
  list(APPEND doc_outputs ${gen_dir}/${pkg}/changelog.gz)
endforeach()
foreach(doc client kato operations services)
  stackato_gzip(${gen_dir}/${doc}.md.gz ${CMAKE_SOURCE_DIR}/docs/${doc}.md)
  list(APPEND doc_outputs ${gen_dir}/${doc}.md.gz)
endforeach()
add_custom_target(stackato_package_docs ALL DEPENDS ${doc_outputs})

# stackato: the client, its tunnel helper (pushed by `stackato tunnel` to any target), man page,
# completions where bash-completion, zsh and fish look for vendor completions.
install(TARGETS stackato RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT stackato)
install(TARGETS stackato-tunnel-server RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/stackato COMPONENT stackato)
install(FILES ${gen_dir}/stackato.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT stackato)
install(FILES ${CMAKE_SOURCE_DIR}/completions/stackato.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME stackato COMPONENT stackato)
install(FILES ${CMAKE_SOURCE_DIR}/completions/_stackato DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
        COMPONENT stackato)
install(FILES ${CMAKE_SOURCE_DIR}/completions/stackato.fish DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d
        COMPONENT stackato)
install(FILES ${pkg_dir}/copyright ${gen_dir}/stackato/changelog.gz ${gen_dir}/client.md.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/stackato COMPONENT stackato)

# kato: the daemon, its man page, the systemd unit and its defaults file.
install(TARGETS kato RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT kato)
install(FILES ${gen_dir}/kato.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8 COMPONENT kato)
install(FILES ${pkg_dir}/kato/kato.service DESTINATION /lib/systemd/system COMPONENT kato)
install(FILES ${pkg_dir}/kato/default DESTINATION /etc/default RENAME kato COMPONENT kato)
install(FILES ${pkg_dir}/copyright ${gen_dir}/kato/changelog.gz ${gen_dir}/kato.md.gz ${gen_dir}/operations.md.gz
              ${gen_dir}/services.md.gz
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/kato COMPONENT kato)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME stackato)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${STACKATO_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL stackato kato)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/stackato/stackato")

set(CPACK_DEBIAN_STACKATO_PACKAGE_NAME stackato)
set(CPACK_COMPONENT_STACKATO_DESCRIPTION
    "Cloud Foundry client for stackato.yml and manifest.yml apps\n\
stackato deploys and manages apps on a Cloud Foundry V3 API: a real Cloud\n\
Foundry, Korifi, or kato, the single-node micro cloud. It reads stackato.yml\n\
and manifest.yml (inheritance, substitutions, hooks, services), pushes with\n\
zero-downtime releases, opens tunnels to data services (dbshell, dbexport)\n\
and runs commands in app containers.")
set(CPACK_DEBIAN_STACKATO_PACKAGE_RECOMMENDS "bash-completion")
set(CPACK_DEBIAN_STACKATO_PACKAGE_SUGGESTS "kato, mariadb-client, postgresql-client, redis-tools")

set(CPACK_DEBIAN_KATO_PACKAGE_NAME kato)
set(CPACK_DEBIAN_KATO_PACKAGE_SECTION admin)
set(CPACK_COMPONENT_KATO_DESCRIPTION
    "single-node micro cloud that speaks the Cloud Foundry V3 API\n\
kato runs apps pushed with stackato or the cf CLI on one machine: staging,\n\
a router with zero-downtime releases, users, orgs, spaces and roles, and data\n\
services (MariaDB, PostgreSQL, Redis, filesystem). Apps, hooks and remote\n\
commands run sandboxed (bubblewrap, seccomp). Checks for Nagios and a\n\
Prometheus /metrics endpoint are included. Runs as the systemd service kato.")
set(CPACK_DEBIAN_KATO_PACKAGE_DEPENDS "bubblewrap, adduser")
set(CPACK_DEBIAN_KATO_PACKAGE_RECOMMENDS
    "mariadb-server, mariadb-client, postgresql, postgresql-client, redis-server, redis-tools, e2fsprogs, monitoring-plugins-basic")
set(CPACK_DEBIAN_KATO_PACKAGE_SUGGESTS "stackato, nagios4")
set(CPACK_DEBIAN_KATO_PACKAGE_CONTROL_EXTRA
    "${pkg_dir}/kato/postinst;${pkg_dir}/kato/prerm;${pkg_dir}/kato/postrm;${pkg_dir}/kato/conffiles")
set(CPACK_DEBIAN_KATO_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
