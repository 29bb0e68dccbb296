VACUUM (FULL false) orders;
