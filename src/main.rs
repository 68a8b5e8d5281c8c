fn main() {
    std::process::exit(kfold::run(std::env::args_os()));
}
