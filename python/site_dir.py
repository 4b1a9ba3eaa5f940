"""Prints where `cmake --install` puts the patchjit package, relative to the install prefix.

The directory that prefix's python3 searches: Debian's interpreter looks in
/usr/lib/python3/dist-packages (prefix /usr) and <prefix>/lib/python3.X/dist-packages
(/usr/local); other interpreters in their scheme's <prefix>/lib/python3.X/site-packages.
"""
import os
import sys
import sysconfig

prefix = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else sys.prefix
variables = {"base": prefix, "platbase": prefix}
if "deb_system" in sysconfig.get_scheme_names():  # Debian's python3
    if prefix == "/usr":
        path = sysconfig.get_path("platlib", "deb_system", vars=variables)
    else:
        path = sysconfig.get_path("platlib", "posix_prefix", vars=variables).replace("site-packages", "dist-packages")
else:
    path = sysconfig.get_path("platlib", "posix_prefix", vars=variables)
print(os.path.relpath(path, prefix))
