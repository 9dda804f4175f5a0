"""Conan 2 recipe for handover: the library only (tests, examples and tools stay off).

`conan create .` builds it with the dependencies from ConanCenter; consumers then use
`find_package(handover CONFIG REQUIRED)` and link `handover::handover`, or pkg-config `handover`.
"""
from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load
from conan.tools.gnu import PkgConfigDeps
import os
import re


class HandoverConan(ConanFile):
    name = "handover"
    license = "MIT"
    description = ("C++ SDK for Meta's Messenger/Instagram thread control "
                   "(Handover Protocol, Conversation Routing)")
    topics = ("messenger", "instagram", "handover-protocol", "conversation-routing",
              "graph-api", "webhooks")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False], "with_redis": [True, False]}
    default_options = {"shared": False, "fPIC": True, "with_redis": False}
    exports_sources = "CMakeLists.txt", "LICENSE", "cmake/*", "include/*", "src/*"

    def set_version(self):
        # One source of truth: project(handover VERSION x.y.z) in CMakeLists.txt.
        text = load(self, os.path.join(self.recipe_folder, "CMakeLists.txt"))
        self.version = re.search(r"project\(handover VERSION ([0-9.]+)", text).group(1)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        self.requires("libcurl/[>=7.88 <9]")
        self.requires("openssl/[>=3 <4]")
        # Header-only and used only inside the library: not visible to consumers.
        self.requires("rapidjson/cci.20230929", visible=False)
        if self.options.with_redis:
            self.requires("hiredis/[>=1.0 <2]")

    def validate(self):
        check_min_cppstd(self, 17)

    def generate(self):
        toolchain = CMakeToolchain(self)
        for option in ("TESTS", "EXAMPLES", "TOOLS", "BENCHMARKS", "FUZZERS"):
            toolchain.cache_variables[f"HANDOVER_BUILD_{option}"] = False
        toolchain.cache_variables["HANDOVER_INSTALL"] = True
        toolchain.cache_variables["HANDOVER_WITH_REDIS"] = bool(self.options.with_redis)
        toolchain.cache_variables["HANDOVER_WARNINGS_AS_ERRORS"] = False
        toolchain.generate()
        CMakeDeps(self).generate()
        # handover::redis finds hiredis with pkg-config (pkg_check_modules), as on Debian.
        PkgConfigDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        CMake(self).install()  # installs LICENSE under share/doc/handover too
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "handover")
        self.cpp_info.set_property("pkg_config_name", "handover")
        core = self.cpp_info.components["handover"]
        core.set_property("cmake_target_name", "handover::handover")
        core.set_property("pkg_config_name", "handover")
        core.libs = ["handover"]
        core.requires = ["libcurl::libcurl", "openssl::crypto"]
        if self.settings.os in ("Linux", "FreeBSD"):
            core.system_libs = ["pthread"]
        if self.options.with_redis:
            redis = self.cpp_info.components["redis"]
            redis.set_property("cmake_target_name", "handover::redis")
            redis.set_property("pkg_config_name", "handover-redis")
            redis.libs = ["handover_redis"]
            redis.requires = ["handover", "hiredis::hiredis"]
