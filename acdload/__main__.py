from acdload.cli import main

main()
