import path from 'node:path';

import { defineConfig, type UserConfigExport } from '@tarojs/cli';

import devConfig from './dev';
import prodConfig from './prod';

/**
 * Build-time constants shared by every platform.
 *
 * - `API_BASE_URL`: origin of the API for the weapp build (env `API_BASE_URL`, default
 *   `http://127.0.0.1:3000`). The H5 build is served by the API origin and uses relative `/api/...`
 *   URLs, so this constant is not read there.
 * - `DEV_LOGIN`: `true` only when the build runs with env `DEV_LOGIN=true`. It enables the
 *   development login endpoint in the H5 build; a production H5 build has no login.
 * - `DEBUG_LOG`: `true` only when the build runs with env `DEBUG_LOG=true`; guards console output.
 */
function buildConstants(): Record<string, string> {
  return {
    API_BASE_URL: JSON.stringify(process.env.API_BASE_URL || 'http://127.0.0.1:3000'),
    DEV_LOGIN: JSON.stringify(process.env.DEV_LOGIN === 'true'),
    DEBUG_LOG: JSON.stringify(process.env.DEBUG_LOG === 'true'),
  };
}

export default defineConfig<'webpack5'>(async (merge) => {
  const baseConfig: UserConfigExport<'webpack5'> = {
    projectName: 'wxlearn-miniprogram',
    date: '2025-01-01',
    designWidth: 750,
    deviceRatio: {
      640: 2.34 / 2,
      750: 1,
      375: 2,
      828: 1.81 / 2,
    },
    sourceRoot: 'src',
    // One output folder per platform, so a weapp and an H5 build can sit side by side.
    outputRoot: `dist/${process.env.TARO_ENV}`,
    plugins: [],
    alias: {
      // npm installs this package under miniprogram/node_modules rather than the root (its
      // optional peer vite@^4 conflicts with the root's vite 8), and @tarojs/taro-h5, which sits at
      // the root, imports it. The alias lets the H5 build resolve it from there.
      '@tarojs/plugin-framework-react': path.resolve(
        __dirname,
        '..',
        'node_modules',
        '@tarojs',
        'plugin-framework-react',
      ),
    },
    defineConstants: buildConstants(),
    copy: { patterns: [], options: {} },
    framework: 'react',
    compiler: 'webpack5',
    cache: { enable: false },
    mini: {
      // Moves modules that only subpackages use out of the main package (the default in Taro 4,
      // set here so that the 1 MB main-package budget does not depend on a default).
      optimizeMainPackage: { enable: true },
      // No page sets innerHTML (lesson Markdown is rendered as components), so the runtime's HTML
      // parser is left out of the bundle.
      runtime: { enableInnerHTML: false },
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false },
      },
    },
    h5: {
      // The API server serves this build at `/`, and the hash router needs no server-side routes.
      publicPath: '/',
      staticDirectory: 'static',
      router: { mode: 'hash' },
      output: {
        filename: 'js/[name].[contenthash:8].js',
        chunkFilename: 'js/[name].[contenthash:8].js',
      },
      miniCssExtractPluginOption: {
        ignoreOrder: true,
        filename: 'css/[name].[contenthash:8].css',
        chunkFilename: 'css/[name].[contenthash:8].css',
      },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false },
      },
    },
  };

  if (process.env.NODE_ENV === 'development') {
    return merge({}, baseConfig, devConfig);
  }
  return merge({}, baseConfig, prodConfig);
});
