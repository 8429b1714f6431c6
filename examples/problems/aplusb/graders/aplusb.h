#ifndef APLUSB_H
#define APLUSB_H

int sum(int A, int B);

#endif
