// Looks for the expected outputs and the checker by path: the I/O folder, the trusted
// programs, where a TPS package keeps them, and every readable file outside the system
// folders whose content is an expected output (it holds the output secret) or a checker.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstring>
#include <string>
#include "common.h"
static bool holds_secret(const char* path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return false;
    static char buffer[1 << 16];
    ssize_t n = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (n <= 0) return false;
    buffer[n] = 0;
    return memmem(buffer, n, "zX1mLX7DidLevjch8wEUpdRnPEZgvTmq", 32) || memmem(buffer, n, "translate:success", 17);
}
static bool walk(const std::string& dir, int depth) {
    static const char* skipped[] = {"/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/var"};
    for (const char* s : skipped) if (dir == s) return false;
    if (depth > 8) return false;
    DIR* d = opendir(dir.c_str());
    if (!d) return false;
    bool found = false;
    while (dirent* e = readdir(d)) {
        std::string name = e->d_name;
        if (name == "." || name == "..") continue;
        std::string path = (dir == "/" ? "" : dir) + "/" + name;
        struct stat info;
        if (lstat(path.c_str(), &info) != 0) continue;
        if (S_ISDIR(info.st_mode)) found = walk(path, depth + 1) || found;
        else if (S_ISREG(info.st_mode) && info.st_size < (8 << 20) && holds_secret(path.c_str())) found = true;
    }
    closedir(d);
    return found;
}
bool breach() {
    const char* paths[] = {"/io/ctl.sock", "/trusted/checker", "/trusted/manager", "tests/0-01.out", "../tests/0-01.out",
                           "checker/checker.cpp", "/work/shared/data/ioi2024-aplusb/tests/0-01.out"};
    for (const char* p : paths) if (holds_secret(p) || access(p, R_OK) == 0) return true;
    return walk("/", 0);
}
