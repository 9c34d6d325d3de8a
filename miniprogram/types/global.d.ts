/// <reference types="@tarojs/taro" />

declare module '*.png';
declare module '*.svg';
declare module '*.scss';

/** Origin of the API in the weapp build, set by the build from env `API_BASE_URL`. */
declare const API_BASE_URL: string;
/** True in builds made with env `DEV_LOGIN=true`: H5 then logs in through the development endpoint. */
declare const DEV_LOGIN: boolean;
/** True in builds made with env `DEBUG_LOG=true`: allows console output for debugging. */
declare const DEBUG_LOG: boolean;

declare namespace NodeJS {
  interface ProcessEnv {
    NODE_ENV: 'development' | 'production' | 'test';
    /** Platform of the current build, replaced by Taro at build time. */
    TARO_ENV: 'weapp' | 'h5' | undefined;
    API_BASE_URL?: string;
    DEV_LOGIN?: string;
    DEBUG_LOG?: string;
  }
}
