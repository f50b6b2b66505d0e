from chatpins.cli import main

main()
