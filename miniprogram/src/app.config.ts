export default defineAppConfig({
  // Tab pages live in the main package. Every other page is in a subpackage, so the main package
  // stays small: WeChat caps it at 2 MB, and this project budgets 1 MB.
  pages: ['pages/index/index', 'pages/me/index'],
  subPackages: [
    { root: 'packages/course', pages: ['search/index', 'detail/index'] },
    { root: 'packages/learning', pages: ['lesson/index'] },
    { root: 'packages/quiz', pages: ['quiz/index', 'result/index'] },
    { root: 'packages/me', pages: ['hours/index', 'notices/index'] },
  ],
  // Components are injected when a page first renders them instead of at launch.
  lazyCodeLoading: 'requiredComponents',
  window: {
    backgroundTextStyle: 'light',
    backgroundColor: '#f5f6f8',
    navigationBarBackgroundColor: '#ffffff',
    navigationBarTitleText: '企业学堂',
    navigationBarTextStyle: 'black',
  },
  tabBar: {
    color: '#888888',
    selectedColor: '#1677ff',
    backgroundColor: '#ffffff',
    borderStyle: 'black',
    list: [
      {
        pagePath: 'pages/index/index',
        text: '首页',
        iconPath: 'assets/tabbar/home.png',
        selectedIconPath: 'assets/tabbar/home-active.png',
      },
      {
        pagePath: 'pages/me/index',
        text: '我的',
        iconPath: 'assets/tabbar/me.png',
        selectedIconPath: 'assets/tabbar/me-active.png',
      },
    ],
  },
});
