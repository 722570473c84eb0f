"""Builds the Python package textlrp (python/) with CMake: pip install --no-build-isolation .

The C++ libraries and the extension module textlrp._textlrp are built by the project's CMake
(-DTEXTLRP_PYTHON=ON, target textlrp_python) in a build directory of their own, then the package
folder CMake assembles (<build>/python/textlrp: the module and python/textlrp/*.py) is what gets
installed. Environment:
  TEXTLRP_CMAKE_BUILD_DIR  the CMake build directory (default: build-python/cmake in the source tree;
                           it is kept, so a second install is incremental)
  CMAKE_ARGS               more arguments for the CMake configure step, e.g.
                           "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DTEXTLRP_PCH=OFF"
  CMAKE_BUILD_PARALLEL_LEVEL  parallel build jobs (default: every core)
The interpreter that runs pip is the one the module is built for (-DPython3_EXECUTABLE).
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
os.makedirs(os.path.join(ROOT, "build-python"), exist_ok=True)  # egg_base


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(textlrp VERSION ([0-9.]+)", f.read())
    if not m:
        raise RuntimeError("CMakeLists.txt: no 'project(textlrp VERSION x.y.z)' line")
    return m.group(1)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.path.abspath(os.environ.get("TEXTLRP_CMAKE_BUILD_DIR") or
                                    os.path.join(ROOT, "build-python", "cmake"))
        os.makedirs(build_dir, exist_ok=True)
        configure = ["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release", "-DTEXTLRP_PYTHON=ON",
                     "-DTEXTLRP_BUILD_TESTS=OFF", "-DPython3_EXECUTABLE=" + sys.executable]
        configure += shlex.split(os.environ.get("CMAKE_ARGS", ""))
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL") or str(os.cpu_count() or 1)
        subprocess.run(["cmake", "--build", build_dir, "--target", "textlrp_python", "-j", jobs], check=True)
        # <build>/python/textlrp holds the module and the .py files: the whole package.
        package = os.path.join(build_dir, "python", "textlrp")
        module = os.path.abspath(self.get_ext_fullpath(ext.name))
        dest = os.path.dirname(module)
        os.makedirs(dest, exist_ok=True)
        built = [f for f in os.listdir(package) if f.startswith("_textlrp") and f.endswith(".so")]
        if len(built) != 1:
            raise RuntimeError("{}: expected one _textlrp*.so, found {}".format(package, built))
        shutil.copyfile(os.path.join(package, built[0]), module)
        for f in os.listdir(package):
            if f.endswith(".py"):
                shutil.copyfile(os.path.join(package, f), os.path.join(dest, f))


setup(
    name="textlrp",
    version=version(),
    description="Explain text classifiers with Layer-wise Relevance Propagation (LRP)",
    long_description="The Python package of textlrp: load a model directory, explain texts down to their "
                     "tokens, write the JSONL lines and the HTML report of the textlrp command-line tool.",
    python_requires=">=3.9",
    install_requires=["numpy"],
    packages=["textlrp"],
    package_dir={"": "python"},
    ext_modules=[CMakeExtension("textlrp._textlrp")],
    cmdclass={"build_ext": CMakeBuild},
    options={"build": {"build_base": "build-python"}, "egg_info": {"egg_base": "build-python"}},
    zip_safe=False,
)
