// Reaches for the network and the Docker daemon: TCP, UDP, and the daemon's unix socket.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstring>
#include "common.h"
bool breach() {
    bool reached = false;
    int tcp = socket(AF_INET, SOCK_STREAM, 0);
    if (tcp >= 0) {
        sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(443); inet_pton(AF_INET, "151.101.0.223", &a.sin_addr);
        reached |= connect(tcp, (sockaddr*)&a, sizeof a) == 0;
        close(tcp);
    }
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    if (udp >= 0) {
        sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(53); inet_pton(AF_INET, "8.8.8.8", &a.sin_addr);
        reached |= sendto(udp, "x", 1, 0, (sockaddr*)&a, sizeof a) == 1;
        close(udp);
    }
    for (const char* path : {"/var/run/docker.sock", "/run/docker.sock", "/io/ctl.sock"}) {
        int unix_socket = socket(AF_UNIX, SOCK_STREAM, 0);
        if (unix_socket < 0) continue;
        sockaddr_un a{}; a.sun_family = AF_UNIX; strncpy(a.sun_path, path, sizeof a.sun_path - 1);
        reached |= connect(unix_socket, (sockaddr*)&a, sizeof a) == 0;
        close(unix_socket);
    }
    return reached;
}
