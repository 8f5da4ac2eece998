"""The packaged executable's script: the kernia-desktop console script, frozen."""

from desktop.__main__ import main

main()
