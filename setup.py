"""Where museokit's packages live: the library in toolkit/, the simulator in sim/.

Both install as the one import package `museokit` (`museokit.sim` for the
simulator), so nothing but `museokit` lands at the top level of site-packages.
Everything else about the project is in pyproject.toml.
"""

from setuptools import find_packages, setup

FOLDERS = {"museokit": "toolkit", "museokit.sim": "sim"}

packages = []
for package, folder in FOLDERS.items():
    packages += [package] + [f"{package}.{sub}" for sub in find_packages(folder)]

setup(packages=packages, package_dir=FOLDERS)
